"""One cog per feature. ``NewsBot`` builds each with what it needs; cogs import neither each
other nor ``bot.client``."""
