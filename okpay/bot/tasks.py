from django.tasks import task


@task()
def bot_train_task(*, actor_id: int | None = None) -> str:
    from okpay.accounts.models import User

    from .actions import model_train

    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    return model_train(actor=actor).version
