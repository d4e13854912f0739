"""The Mini App: a web adapter beside ``handlers/``, over the same services.

Telegram opens the page (``GET /app/``) inside the chat and hands it signed launch data
(``initData``); every API request (``/app/api/...``) carries it as ``Authorization: tma
<initData>`` and is answered for the person it names, with the same access rules and the
same suppression as the chat. No business rule lives here: a route reads the request,
calls a service, and writes its answer as JSON (``web/server.py``).
"""
