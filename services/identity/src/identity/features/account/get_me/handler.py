from __future__ import annotations

import msgspec

from fleetkit.db import KitPool
from identity.accounts import Account
from identity.features.account.get_me.command import GetMe
from identity.features.account.get_me.queries import SELECT_ACCOUNT


class AccountGone(msgspec.Struct, frozen=True):
    pass


async def get_me(cmd: GetMe, *, pool: KitPool) -> Account | AccountGone:
    row = await pool.fetchrow(SELECT_ACCOUNT, cmd.account_id)
    return AccountGone() if row is None else Account(**row)
