"""What areas above `scheduling` learn about a date's changes, without `scheduling` importing
them.

`occurrence_changed` is sent by `scheduling` once it has recorded a change to one occurrence
(moved, rescheduled by a series edit, cancelled, removed by an edit, restored, venue or details
changed), inside the transaction of that change; the sender is the occurrence. Keyword
arguments: `kind` (a `ChangeKind`), `moved_by` (how far its start moved: a timedelta, zero when
it did not), `actor_id` and `now`.

Receivers are connected when the app is built (`eventhub.create_app`), write in the same
transaction (they never commit) and may raise a `DomainError` to refuse the change (it is then
rolled back whole). One signal for one need: dates own what hangs on them (a meeting session)
but sit below it in the import layers (docs/architecture.md).
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

occurrence_changed = _signals.signal("occurrence-changed")
