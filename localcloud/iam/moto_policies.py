"""A role's identity-based policies as moto holds them, read at the moment of the call.

Inline policies and the default version of every attached managed policy, from moto's IAM backend
in this process (the local cloud serves moto in process). A role that no longer exists has none:
every request of its sessions is then denied, as AWS denies a session whose role is gone.
"""

from __future__ import annotations

from typing import Any


def role_policies(account_id: str, role_name: str, partition: str = "aws") -> list[str]:
    """The JSON documents of every identity-based policy of ``role_name`` in moto, now."""
    from moto.iam.exceptions import NotFoundException  # noqa: PLC0415 - moto loads only with the local cloud
    from moto.iam.models import iam_backends  # noqa: PLC0415

    try:
        role = iam_backends[account_id][partition].get_role(role_name)
    except NotFoundException:
        return []
    documents = [str(document) for document in list(role.policies.values())]
    for managed in list(role.managed_policies.values()):
        documents += [_default_document(managed)]
    return documents


def _default_document(policy: Any) -> str:
    default = next((version for version in policy.versions if version.is_default), None)
    return str(default.document if default is not None else policy.document)
