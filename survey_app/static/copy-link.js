// "Copy link" on the page that shows one person's survey link (progressive enhancement: without
// JavaScript the link is still there to select and copy by hand).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var field = document.querySelector(button.getAttribute("data-copy"));
    var status = document.querySelector(button.getAttribute("data-status"));
    if (!field || !navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(function () {
        if (status) { status.textContent = "Link copied."; }
      }, function () {
        field.select();
        if (status) { status.textContent = "Select the link and copy it (Ctrl+C)."; }
      });
    });
  });
});
