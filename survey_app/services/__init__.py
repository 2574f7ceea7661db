"""Services: the data-access layer where every query lives; views and commands call these."""
