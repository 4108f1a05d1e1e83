"""The balance as a service: FastAPI JSON API and server-rendered pages (issue 7, in progress).

Built so far: roles and permissions (``orebook.web.roles``) and the security primitives
(``orebook.web.security``): Argon2id passwords, hashed API tokens, signed session cookies, CSRF.
"""
