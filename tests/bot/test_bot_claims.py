"""Pure tests of bot.claims: what of a Discord message is looked up as a claim."""

from __future__ import annotations

import pytest

from bot.claims import MAX_CLAIM_CHARS, claim_text


@pytest.mark.parametrize(
    ("content", "claim"),
    [
        ("The harbour master said it was the worst storm in 31 years",
         "The harbour master said it was the worst storm in 31 years"),
        ("@everyone @here <@123> <@!42> <@&456> <#9> the ferry is   cancelled\n\ntoday",
         "the ferry is cancelled today"),
        ("the council **is closing** ~~all~~ the `libraries` ||soon|| _apparently_",
         "the council is closing all the libraries soon apparently"),
        ("> quoted line\n# heading\n-# small print", "quoted line heading small print"),
        ("see https://evil.example/a?b=1 and <https://x.example> or www.example.com now",
         "see and or now"),
        ("[the port strike](https://news.example/strike) began on Monday",
         "the port strike began on Monday"),
        ("a snake_case name stays <:wave:123> <a:dance:456> <t:1700000000:R>",
         "a snake_case name stays"),
    ],
)  # fmt: skip
def test_the_claim_is_the_words_without_mentions_links_and_markup(content: str, claim: str) -> None:
    assert claim_text(content) == claim


@pytest.mark.parametrize(
    "content", ["", "   ", "@everyone <@123>", "https://evil.example", "**__~~||``||~~__**", "?!"]
)
def test_nothing_but_noise_leaves_no_claim(content: str) -> None:
    assert claim_text(content) == ""


def test_a_long_paste_is_looked_up_by_its_start_cut_at_a_word() -> None:
    claim = claim_text("word " * 1000)
    assert len(claim) <= MAX_CLAIM_CHARS and claim.endswith("word") and "  " not in claim
    assert len(claim_text("x" * 5000)) == MAX_CLAIM_CHARS
