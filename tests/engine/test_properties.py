"""Property-based: any sequence of events keeps a session well-formed and serialisable."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialogs import default_engine
from dialogs.content_model import Action
from dialogs.events import Act, Begin, Choose, Event, Say
from dialogs.snapshot import Snapshot
from dialogs.turn import Outcome

ENGINE = default_engine()
CONTENT = ENGINE.content
ALL_OPTION_IDS = sorted({o.id for s in CONTENT.steps for o in s.options})
SAMPLE_TEXTS = [
    "yes",
    "2",
    "back",
    "skip",
    "more",
    "start over",
    "I want to die",
    "",
    "🙂🙂",
    "x" * 5000,
    "Relaxed and closer to me",
    "Thank you",
]

seq_offsets = st.sampled_from([None, 0, 0, 0, -1, 1, 7])
events: st.SearchStrategy[tuple[str, object, int | None]] = st.one_of(
    st.tuples(st.just("begin"), st.none(), st.none()),
    st.tuples(st.just("choose"), st.sampled_from([*ALL_OPTION_IDS, "forged"]), seq_offsets),
    st.tuples(st.just("choose_current"), st.integers(0, 9), seq_offsets),
    st.tuples(st.just("say"), st.one_of(st.sampled_from(SAMPLE_TEXTS), st.text()), st.none()),
    st.tuples(st.just("act"), st.sampled_from(list(Action)), seq_offsets),
)


def _event(snapshot: Snapshot | None, kind: str, value: object, offset: int | None) -> Event:
    seq = None if offset is None or snapshot is None else max(0, snapshot.seq + offset)
    state = snapshot.state if snapshot else CONTENT.first_step.id
    match kind:
        case "begin":
            return Begin()
        case "choose":
            return Choose(str(value), seq)
        case "choose_current":
            options = CONTENT.step(state).options
            return Choose(options[int(str(value)) % len(options)].id, seq)
        case "say":
            return Say(str(value))
        case _:
            return Act(Action(str(value)), seq)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(events, min_size=1, max_size=60), st.text(max_size=40))
def test_random_events_never_break_a_session(
    sequence: list[tuple[str, object, int | None]], name: str
) -> None:
    snapshot: Snapshot | None = None
    for kind, value, offset in sequence:
        turn = ENGINE.apply(snapshot, _event(snapshot, kind, value, offset), name=name)
        new = turn.snapshot
        assert CONTENT.has_step(new.state)
        assert all(CONTENT.has_step(step) for step in new.history)
        for step_id, option_id in new.answers.items():
            assert CONTENT.step(step_id).option(option_id) is not None
        assert Snapshot.from_json(new.to_json()) == new
        if snapshot is not None:
            assert new.seq >= snapshot.seq
        if turn.outcome is Outcome.STALE:
            assert turn.messages == ()
            assert new == (snapshot or ENGINE.new_snapshot())
        else:
            assert turn.messages, f"{kind} {value!r} got silence"
        for message in turn.messages:
            assert 0 < len(message.text) <= 4096
            assert all(button.seq == new.seq for button in message.buttons)
        snapshot = new


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_typed_text_gets_an_answer(text: str) -> None:
    turn = ENGINE.apply(None, Say(text))
    assert turn.messages
    assert turn.outcome is not Outcome.STALE
