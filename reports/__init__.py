"""finsent's reports: daily sentiment and drift HTML, email, and the analysts' SQL."""
