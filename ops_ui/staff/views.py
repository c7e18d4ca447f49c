"""Staff records that are the same person (``/staff/duplicates``) and their merge, for admins only.

The page lists each group with a form: choose the record to keep, merge the others into it. With htmx the form
answers with the list again (the merged group is gone) and a toast; without JavaScript it redirects back with a
flash (post/redirect/get). Status codes: 422 for a merge refused as asked (nothing chosen, not the same person),
409 when an appointment to move is being written right now (nothing merged), 403 for agents and managers, 404 for
another company's records.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, make_response, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import LazyString

from ops_ui.actions.staff_merge import MergeBusy, MergeRefused, StaffNotFound, duplicate_groups, merge_staff
from ops_ui.auth.permissions import require_role, signed_in_user
from ops_ui.engine.claims import NotAllowed
from ops_ui.htmx import is_htmx_request, vary_on_htmx
from ops_ui.models import Role
from ops_ui.staff import bp
from ops_ui.staff.forms import MergeForm

require_admin = require_role(Role.ADMIN)


@bp.get("/duplicates")
@require_admin
def duplicates() -> ResponseReturnValue:
    return _render(None)


@bp.post("/merge")
@require_admin
def merge() -> ResponseReturnValue:
    form = MergeForm()
    if not form.validate():
        return _render(("error", " ".join(m for messages in form.errors.values() for m in _flat(messages))), 422)
    try:
        outcome = merge_staff(signed_in_user(), form.keep_id, form.merge_ids)
    except StaffNotFound:
        abort(404)
    except NotAllowed:
        abort(403)
    except MergeRefused as refused:
        return _render(("error", str(refused)), 422)
    except MergeBusy as busy:
        return _render(("error", str(busy)), 409)
    toast = ("info" if outcome.nothing_to_merge else "success", str(outcome.message))
    if not is_htmx_request():
        flash(toast[1], toast[0])
        return redirect(url_for("staff.duplicates"), code=303)
    return _render(toast)


def _flat(messages: Any) -> list[str]:
    """Field errors, including those of the ``merge`` list (a list of lists)."""
    if isinstance(messages, str | LazyString):
        return [str(messages)]
    return [message for item in messages for message in _flat(item)]


def _render(toast: tuple[str, str] | None, status: int = 200) -> Response:
    """The page, or for htmx the list alone; a toast (out of band for htmx, on the page otherwise)."""
    context = {"groups": duplicate_groups(signed_in_user().company_id), "toast": toast}
    template = "staff/_groups.html" if is_htmx_request() else "staff/duplicates.html"
    return vary_on_htmx(make_response(render_template(template, **context), status))
