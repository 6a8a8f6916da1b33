from __future__ import annotations

from index.text.chunk import estimate_tokens, paragraph_spans, passages, sentence_spans

TEXT = (
    'Mr. Smith went to Washington on Monday. He said "no." Then J. K. Rowling arrived at 3 p.m. '
    "on the dot.\n\nThe U.S. Army said so! Was it true? Officials would not say.\n\n"
    "A short one.\n\n" + " ".join(f"Sentence number {i} is here." for i in range(60))
)


def test_sentences_respect_abbreviations_initials_and_quotes() -> None:
    spans = sentence_spans(TEXT, *paragraph_spans(TEXT)[0])
    assert [TEXT[a:b] for a, b in spans] == [
        "Mr. Smith went to Washington on Monday.",
        'He said "no."',
        "Then J. K. Rowling arrived at 3 p.m. on the dot.",
    ]


def test_passages_tile_sentences_verbatim_and_stay_bounded() -> None:
    chunks = passages(TEXT, max_tokens=60, min_tokens=20)
    assert len(chunks) > 3
    for p in chunks:
        assert p.sentences[0][0] == p.start and p.sentences[-1][1] == p.end
        assert estimate_tokens(TEXT[p.start : p.end]) <= 60 or len(p.sentences) == 1
        for a, b in p.sentences:
            assert TEXT[a:b].strip() == TEXT[a:b]
    covered = "".join(TEXT[a:b] for p in chunks for a, b in p.sentences)
    assert covered.replace(" ", "") == TEXT.replace(" ", "").replace("\n", "")


def test_short_paragraph_travels_with_its_neighbour() -> None:
    text = "A short one.\n\nA second paragraph that is longer than the first one by far."
    chunks = passages(text, max_tokens=100, min_tokens=20)
    assert len(chunks) == 1 and chunks[0].end == len(text)


def test_a_single_huge_sentence_stands_alone() -> None:
    text = "Start. " + "word " * 400 + "end. Next sentence."
    chunks = passages(text, max_tokens=50, min_tokens=10)
    assert any(len(p.sentences) == 1 and p.end - p.start > 1500 for p in chunks)
