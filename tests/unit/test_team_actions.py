"""The audit actions the team table leaves out are the ones the code records under those names."""

from ops_ui.actions.bulk_retry import SKIPPED_ACTION
from ops_ui.engine.booking import DEFERRED
from ops_ui.health.team import NOT_COUNTED_ACTIONS


def test_actions_left_out_of_the_team_table_name_what_the_code_records() -> None:
    assert {SKIPPED_ACTION, DEFERRED} <= NOT_COUNTED_ACTIONS
