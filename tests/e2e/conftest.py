"""Session fixtures for the end-to-end tests: one real Kafka broker for the whole session."""
import pytest

import harness


@pytest.fixture(scope="session")
def broker(tmp_path_factory):
    with harness.kafka_broker(tmp_path_factory.mktemp("broker")) as bootstrap:
        yield bootstrap


@pytest.fixture
def topics(broker, request):
    """Fresh topics for one test: org (1 partition), crm and people (3 each), dead letters, the
    compacted history."""
    base = request.node.name.replace("_", "-").lower()
    names = {"org": f"{base}.org", "crm": f"{base}.crm", "people": f"{base}.people",
             "dead_letter": f"{base}.dead-letter", "history": f"{base}.history"}
    harness.create_topics(broker, {names["org"]: 1, names["crm"]: 3, names["people"]: 3,
                                   names["dead_letter"]: 1, names["history"]: 3},
                          compacted=[names["history"]])
    return names
