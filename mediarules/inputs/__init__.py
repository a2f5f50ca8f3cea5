"""Inputs: what comes from outside and is turned into what the checks read.

``intake`` (paths, metadata records and facts into items), ``payload`` (the scheduler's
create-post body), ``instances`` (a Mastodon server's or a TikTok creator's own limits as
rule layers) and ``config`` (``[tool.mediarules]`` in ``pyproject.toml``). Nothing here
imports an output format or the command line.
"""
