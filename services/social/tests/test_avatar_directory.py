"""Social's avatars client against the batch-get stand-in (see conftest for why a stand-in)."""

from __future__ import annotations

from fleetkit.ids import new_id
from fleetkit.peers import BreakerState
from social.avatar_directory import AvatarCard, AvatarsUnavailable
from social.bearer import BearerToken


async def test_batch_get_returns_the_known_cards_and_leaves_unknown_ids_out(directory, fake_avatars, bearer):
    owner = new_id()
    known = fake_avatars.add(owner, "Teal")
    cards = await directory.batch_get([known, new_id()], bearer)
    assert [(c.id, c.owner_id, c.name) for c in cards] == [(known, owner, "Teal")]
    assert isinstance(cards[0], AvatarCard)
    assert cards[0].updated_at.tzinfo is not None


async def test_no_ids_means_no_call(directory, fake_avatars, bearer):
    assert await directory.batch_get([], bearer) == []
    assert fake_avatars.calls == 0


async def test_a_body_that_is_not_the_contract_is_unavailable_not_a_crash(directory, fake_avatars, bearer):
    fake_avatars.mode = "garbage"
    assert await directory.batch_get([new_id()], bearer) == AvatarsUnavailable("bad_response")


async def test_a_refused_token_is_unavailable_but_does_not_count_against_the_breaker(directory, fake_avatars):
    for _ in range(5):
        answer = await directory.batch_get([new_id()], BearerToken(""))
        assert answer == AvatarsUnavailable("http_401")
    assert directory.peer.breaker.state is BreakerState.CLOSED


async def test_a_slow_avatars_costs_at_most_the_deadline(directory, fake_avatars, bearer):
    fake_avatars.mode, fake_avatars.delay_s = "slow", 2.0
    answer = await directory.batch_get([new_id()], bearer)
    assert isinstance(answer, AvatarsUnavailable)
    assert answer.reason in {"timeout", "deadline"}


def test_the_bearer_token_never_shows_in_repr_or_str():
    token = BearerToken("eyJhbGciOi.secret.value")
    assert "secret" not in repr(token)
    assert "secret" not in str(token)
    assert token.header() == {"Authorization": "Bearer eyJhbGciOi.secret.value"}
