"""The balance as a service: FastAPI JSON API and server-rendered pages (issue 7, in progress).

Built so far: roles and permissions (``orebook.web.roles``), session cookies and CSRF
(``orebook.web.security``); accounts, API tokens and the audit log are in ``orebook.balance.accounts``.
"""
