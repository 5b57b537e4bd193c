"""fapiao-intake: Chinese VAT invoices (发票) from paper, PDF, OFD and XML into trustworthy database records."""

__version__ = "0.1.0"
