"""Reports: the analytics pages (inbox, team, sentiment, publishing), their CSV exports and the Overview.

Above inbox, posts and assistant in the dependency direction: it reads their facts, nothing below reads it."""
