"""The shop's teams as roles, and the one table of what each may do."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    admin = "admin"
    operations = "operations"
    service = "service"
    content = "content"
    analyst = "analyst"
    tech = "tech"


class Perm(StrEnum):
    customers_read = "customers.read"          # profiles with personal data masked
    customers_read_pii = "customers.read_pii"  # personal data in full (audited)
    customers_write = "customers.write"
    customers_merge = "customers.merge"
    orders_write = "orders.write"
    imports_run = "imports.run"
    privacy_requests = "privacy.requests"      # export / erasure on a person's request
    loyalty_configure = "loyalty.configure"
    loyalty_adjust = "loyalty.adjust"          # goodwill points, within the role's limit
    campaigns_manage = "campaigns.manage"
    templates_write = "templates.write"
    tickets_work = "tickets.work"
    analytics_read = "analytics.read"
    exports_pseudonymised = "exports.pseudonymised"
    tokens_manage = "tokens.manage"
    webhooks_manage = "webhooks.manage"
    keys_manage = "keys.manage"
    system_read = "system.read"
    users_manage = "users.manage"
    audit_read = "audit.read"
    social_read = "social.read"              # mentions, dashboard, crises
    social_manage = "social.manage"          # moderate (abuse/illegal only), reply, crises, showcase permissions
    social_write = "social.write"            # send mentions in (the shop's systems)


ROLE_PERMISSIONS: dict[Role, frozenset[Perm]] = {
    Role.admin: frozenset(Perm),
    Role.operations: frozenset({
        Perm.customers_read, Perm.customers_write, Perm.orders_write, Perm.imports_run,
        Perm.loyalty_configure, Perm.loyalty_adjust, Perm.campaigns_manage, Perm.analytics_read,
        Perm.customers_merge, Perm.social_read, Perm.social_manage,
    }),
    Role.service: frozenset({
        Perm.customers_read, Perm.customers_read_pii, Perm.customers_write, Perm.customers_merge,
        Perm.tickets_work, Perm.loyalty_adjust, Perm.privacy_requests, Perm.social_read, Perm.social_manage,
    }),
    Role.content: frozenset({Perm.templates_write, Perm.social_read, Perm.social_manage}),
    Role.analyst: frozenset({Perm.customers_read, Perm.analytics_read, Perm.exports_pseudonymised, Perm.social_read}),
    Role.tech: frozenset({
        Perm.customers_write, Perm.orders_write, Perm.imports_run, Perm.tokens_manage,
        Perm.webhooks_manage, Perm.keys_manage, Perm.system_read, Perm.social_write,
    }),
}

# Goodwill points a role may grant (or take) in one adjustment; None = no limit.
GOODWILL_LIMITS: dict[Role, int | None] = {
    Role.admin: None,
    Role.operations: 5000,
    Role.service: 500,
}

# Goodwill store credit a role may grant in one credit, in minor units of the wallet's currency; None = no limit.
CREDIT_LIMITS_MINOR: dict[Role, int | None] = {
    Role.admin: None,
    Role.operations: 50_000,
    Role.service: 5_000,
}


@dataclass(frozen=True)
class Actor:
    """Who is acting: a staff user, an API token, or the system itself."""

    kind: str  # "user" | "token" | "system"
    id: int | None
    name: str
    role: Role

    @property
    def ref(self) -> str:
        return f"{self.kind}:{self.name}"

    def can(self, perm: Perm) -> bool:
        return perm in ROLE_PERMISSIONS[self.role]


SYSTEM = Actor(kind="system", id=None, name="system", role=Role.admin)
