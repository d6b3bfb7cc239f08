"""Policy-update digests to N Telegram subscribers: messages a second, the busiest second, 429s.

    .venv/bin/python benchmarks/broadcast.py [--subscribers 500] [--every 100] [--rate 25]

The real aiogram runtime and the real digest broadcast (bot/channels/digest_delivery.py) against the
local fake Bot API (tests/fake_bot_api.py), which refuses more than 30 sendMessage a second with
a 429 (retry_after 1) like Telegram, and answers every ``--every``-th call with a 429 anyway.
Prints delivered, lost, sent twice, elapsed seconds, mean and busiest-second rates, 429s.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


async def run(subscribers: int, every: int, rate: float) -> None:
    from telegram_harness import running

    from bot.channels.digest_delivery import broadcast
    from bot.conversation.subscriptions import Subscriptions
    from bot.records.policy_changes import detect
    from bot.records.pseudonym import pseudonymise
    from policy_faq.faq import load_faq

    intents = [item.intent for item in load_faq().intents]
    edited = [i.model_copy(update={"answer": i.answer + "\n• 新增说明。"}) if i.id == "gxq-overseas-warehouse-subsidy" else i
              for i in intents]  # fmt: skip
    with tempfile.TemporaryDirectory() as scratch:
        async with running("aiogram", Path(scratch), broadcast_rate=rate) as bot:
            secret = bot.settings.secret.get_secret_value()
            subs = Subscriptions(bot.db, secret)
            for n in range(subscribers):
                subs.subscribe(pseudonymise(secret, "telegram", str(900_000 + n)), "telegram", "t:subsidy", str(900_000 + n))
            detect(bot.db, intents, date.today())
            detect(bot.db, edited, date.today())
            made = subs.make_digests(date.today())
            bot.api.limit_rate("sendMessage", 30, retry_after=1)
            if every:
                bot.api.fail_every("sendMessage", every, retry_after=1)
            started = time.monotonic()
            result = await broadcast(subs, bot.bot.send_digest, rate)
            elapsed = time.monotonic() - started
            delivered = bot.api.delivered()
            chats: dict[str, int] = {}
            for call in delivered:
                chats[call.chat_id] = chats.get(call.chat_id, 0) + 1
            times = sorted(call.at for call in delivered)
            busiest = max((sum(1 for t in times[i:] if t < s + 1.0) for i, s in enumerate(times)), default=0)
            print(f"subscribers {subscribers}, digests made {made}, configured rate {rate}/s")
            print(f"delivered {len(delivered)}, lost {subscribers - len(chats)}, sent twice {sum(1 for n in chats.values() if n > 1)}")
            print(f"elapsed {elapsed:.1f} s, mean {len(delivered) / elapsed:.1f} msg/s, busiest second {busiest} msgs")
            print(f"429 answered {bot.api.too_many.get('sendMessage', 0)}, broadcast failures {result.failed}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=500)
    parser.add_argument("--every", type=int, default=100, help="answer every n-th sendMessage with 429 (0: never)")
    parser.add_argument("--rate", type=float, default=25.0, help="CBEC_BROADCAST_RATE")
    args = parser.parse_args()
    asyncio.run(run(args.subscribers, args.every, args.rate))


if __name__ == "__main__":
    main()
