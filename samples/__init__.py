"""Synthetic Chinese VAT invoices with ground truth: paper scans, phone photos, image PDFs and text-layer PDFs."""
