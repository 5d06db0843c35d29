"""An update's slot is given back while it only waits, and never lost or doubled."""

from __future__ import annotations

import asyncio

from handlers.kit.slots import Slot, current_slot, stepped_out


async def test_a_waiting_update_lends_its_slot_and_takes_one_again() -> None:
    semaphore = asyncio.BoundedSemaphore(1)
    token = asyncio.Event()
    order: list[str] = []

    async def waiting_update() -> None:
        async with Slot(semaphore).held():
            async with stepped_out():
                order.append("waits")
                await token.wait()
            order.append("goes on")

    async def other_update() -> None:
        async with Slot(semaphore).held():
            order.append("other handled")
            token.set()

    await asyncio.gather(waiting_update(), other_update())
    assert order == ["waits", "other handled", "goes on"]
    assert not semaphore.locked()


async def test_parallel_sends_of_one_update_give_back_one_slot() -> None:
    semaphore = asyncio.BoundedSemaphore(2)

    async def update() -> None:
        async with Slot(semaphore).held():
            async def send() -> None:
                async with stepped_out():
                    await asyncio.sleep(0)

            await asyncio.gather(*(send() for _ in range(5)))
            assert semaphore._value == 1  # held again once all sends are back

    await update()
    assert semaphore._value == 2  # BoundedSemaphore raises on a release too many


async def test_a_send_outliving_its_update_takes_no_slot() -> None:
    semaphore = asyncio.BoundedSemaphore(1)
    late = asyncio.Event()
    background: list[asyncio.Task[None]] = []

    async def send_later() -> None:
        async with stepped_out():
            await late.wait()

    async with Slot(semaphore).held():
        background.append(asyncio.create_task(send_later()))
        await asyncio.sleep(0)
    late.set()
    await background[0]
    assert semaphore._value == 1 and current_slot() is None


async def test_a_cancelled_wait_leaks_nothing() -> None:
    semaphore = asyncio.BoundedSemaphore(1)

    async def update() -> None:
        async with Slot(semaphore).held(), stepped_out():
            await asyncio.sleep(10)

    task = asyncio.create_task(update())
    await asyncio.sleep(0)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert semaphore._value == 1
