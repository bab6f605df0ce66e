"""The audit package: the audit log and the retention of both logs.

`log` holds `record_audit`, the one writer of audit entries (in the same transaction as the
change it describes, rule 13), and `diff`; both are re-exported here, since nearly every
writer of the domain calls them. `entries` holds what the log reads back, `retention` the purge
of entries (and provisioning events) past their retention. The SQL: `store` the writes (the
insert, the purge), `entries_store` the reads.
"""

from app.domain.audit.log import Audited, diff, record_audit
from app.domain.types import AuditTarget

__all__ = ["AuditTarget", "Audited", "diff", "record_audit"]
