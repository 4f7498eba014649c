"""Django's PostgreSQL backend, with the one type it leaves out of its bulk insert path (see base.py)."""
