"""Errors raised by operations. Messages are English msgids, translated where they are shown."""


def N_(message: str) -> str:
    """Mark a message for translation without translating it here (Babel keyword ``N_``)."""
    return message


class DomainError(Exception):
    """A refused operation, with a message for the user (a msgid) and its parameters."""

    message = N_("This cannot be done.")

    def __init__(self, message: str | None = None, **params):
        self.message = message or self.message
        self.params = params
        super().__init__(self.message % params if params else self.message)


class ValidationFailed(DomainError):
    """Input that breaks a rule; ``errors`` maps each field to its messages (msgids)."""

    message = N_("Please correct the marked fields.")

    def __init__(self, errors: dict[str, list[tuple[str, dict]]]):
        self.errors = errors
        super().__init__()


class NotAllowed(DomainError):
    message = N_("You may not do this.")


class StaleEdit(DomainError):
    """Someone else saved the record after the form was opened."""

    message = N_("Someone else changed this record in the meantime. "
                 "Their changes are shown below; make your change again and save.")


class DuplicateKvk(DomainError):
    """A company with this KVK number exists already."""

    message = N_("A company with KVK number %(kvk)s already exists.")

    def __init__(self, existing):
        self.existing = existing
        super().__init__(kvk=existing.kvk)
