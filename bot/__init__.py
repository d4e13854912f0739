"""Kannustin: services, settings, i18n, the application factory and the CLI."""
