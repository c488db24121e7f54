from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory, django_db_setup, django_db_blocker):
    """A model trained once per test session on the tiny fixture (seconds, not the full minute)."""
    from okpay.bot import training

    with django_db_blocker.unblock():
        model = training.train([FIXTURES / "tiny_train.csv"])
        model.threshold = 0.3
        directory = tmp_path_factory.mktemp("bot-model")
        training.save(model, directory)
    return directory


@pytest.fixture
def tiny_bot(db, tiny_model_dir):
    from okpay.bot.engine import forget_model
    from okpay.bot.models import BotModelVersion

    forget_model()
    BotModelVersion.objects.create(version="tiny", path=str(tiny_model_dir / "model.joblib"), is_active=True)
    yield
    forget_model()
