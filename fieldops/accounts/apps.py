from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "fieldops.accounts"
    label = "accounts"
    verbose_name = "Organisations and people"
