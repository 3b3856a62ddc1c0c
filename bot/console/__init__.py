"""The office's web console: a door like the command line (bot/cli/), on aiohttp, rendering
server-side HTML from Jinja2 templates (no build step, nothing fetched from the internet).

It calls the same office operations as the CLI and the chat (handlers/…, storage/… for reads),
never SQL of its own. Pieces:

- web.py — what every page uses: ``render``, ``read``/``write``, ``refuse``, :class:`Screen`;
  ``office_ctx`` (the Ctx an operation that sends runs in), ``attempt`` (a change: 303, or the page
  again with the refusal beside its field), ``download`` (a file an operation writes);
- app.py — ``make_app(db, config, clock)``: the aiohttp application, its middlewares (refusal
  pages, the session, CSRF on every POST, security headers) and ``render()``;
- auth.py — sign-in through a one-time link (handlers/console/signin.py), sign-out;
- screens/ — one module per screen; ``screens/__init__.py`` lists them (the nav's order);
- committees.py — what the committees' screens (consultation, oversight) share: the scoped row of
  a path's id, the audience a committee's staff may address, a refusal's field;
- templates/ — ``layout.html`` (every page extends it), ``refusal.html``, ``_forms.html``
  (field errors), one folder per screen; static/console.css (CJK font stack, readable on a phone).

How to add a screen (e.g. "rules"):

1. ``bot/console/screens/rules.py`` declares ``SCREEN = Screen("rules", N_("Routing"), "/rules",
   allowed=lambda scope: scope.kind == CITY, routes=[("GET", "/rules", page), ("POST", "/rules/add", add)])``.
   (``from bot.console.web import Screen, render, read, write, session_of``.) Each handler is
   ``async def page(request) -> web.Response``; ``request[SESSION]`` is the signed-in
   :class:`handlers.console.signin.Session` (member, scope, csrf, actor); ``read(request)`` /
   ``write(request)`` open a transaction; ``render(request, "rules/page.html", **values)`` answers.
   The app refuses every route of a screen whose ``allowed(scope)`` is false (403), so a handler
   only filters its queries by ``session.scope``.
2. Templates in ``bot/console/templates/rules/*.html``: ``{% extends "layout.html" %}``, strings
   through ``t("English msgid")`` (the catalog, like the chat), every form ``{{ csrf_field() }}`` (``{% from "_forms.html" import csrf_field, field_error with context %}``),
   errors beside the field with ``{{ field_error(errors, "name") }}`` from ``_forms.html``.
3. Append its ``SCREEN`` to ``SCREEN_LIST`` in ``bot/console/screens/__init__.py`` (the nav's order).
4. A change is a POST (``form_of(request)`` gives its fields) that calls an office operation inside
   ``write(request)`` with ``actor=session.actor`` ("console:member:12"), so the audit log says it
   came through the console and who did it, then ``raise see_other(path)``. A refusal (AdminError,
   or the screen's own check) is rendered again with ``errors=refusal_of(request, exc, default,
   fields=…)`` (the operation's ``exc.field``, in the reader's language) and status 400: the
   message beside its field, nothing changed (the transaction is rolled back).
5. Tests: tests/test_console.py's ``console(stack)`` client, ``sign_in(client, stack, roster_id)``
   and ``csrf_of(page)``; add the screen's row to the scope matrix there.
"""
