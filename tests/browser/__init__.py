"""Real-browser tests of the participant survey (Playwright driving Debian's Chromium)."""
