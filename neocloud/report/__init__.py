"""Words and charts of the reports, and the call that starts a report in a kernel."""
