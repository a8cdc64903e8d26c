"""Getting data in from files: customers and orders from CSV (our columns, Shopify's exports) and the
CDNOW purchase logs, streamed in constant memory, stored in batches, every bad row reported."""

from guanxi.customers.importing.run import FORMATS, KINDS, SUPPORTED, check_supported, run_import

__all__ = ["FORMATS", "KINDS", "SUPPORTED", "check_supported", "run_import"]
