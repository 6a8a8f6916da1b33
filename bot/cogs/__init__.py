"""One extension per feature; each module ends with ``async def setup(bot)``."""
