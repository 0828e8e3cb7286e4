"""The HTML compliance report: rule table, charts, capacity gaps and the embedded map."""
