"""EntityMatcher: longest match first, whole tokens, abbreviation case rules."""
from drehr_train.graph import Concept, Graph
from drehr_train.trie import EntityMatcher


def graph():
    g = Graph({
        "D:1": Concept("D:1", "heart failure", ["cardiac failure"], [("hf", 0.9)], type="disease"),
        "D:2": Concept("D:2", "congestive heart failure", [], [("chf", 1.0)], ["D:1"], type="disease"),
        "D:3": Concept("D:3", "hypertension", ["HTN"], [("htn", 1.0)], type="disease"),
        "D:4": Concept("D:4", "cancer", [], [("ca", 0.7), ("as", 0.9)], type="disease"),
        "P:1": Concept("P:1", "status post", [], [("s/p", 1.0)], type="procedure"),
        "D:5": Concept("D:5", "mitral insufficiency", [], [("mi", 0.3)], type="disease"),
    })
    return g


def test_longest_match_first():
    m = EntityMatcher(graph())
    hits = m.find("Congestive heart failure and cardiac failure.")
    assert [(h[2], h[3], h[4]) for h in hits] == [("D:2", "Congestive heart failure", "name"),
                                                  ("D:1", "cardiac failure", "synonym")]


def test_whole_tokens_only():
    m = EntityMatcher(graph())
    assert m.find("prehypertension") == []
    assert m.find("hypertensions") == []


def test_abbreviation_case_rules():
    m = EntityMatcher(graph())
    assert [h[2] for h in m.find("Hx of HTN and CHF")] == ["D:3", "D:2"]
    assert m.find("as it was htn chf") == []          # alphabetic short forms need upper case
    assert m.find("CA 19-9 and AS noted") == []        # blocklisted ambiguous short forms
    assert m.find("MI") == []                          # no dominant sense
    assert [h[2] for h in m.find("s/p CABG, S/P fall")] == ["P:1", "P:1"]  # punctuated forms in any case
    assert m.find("HTN")[0][4] == "abbreviation"
