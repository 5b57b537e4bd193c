"""Key-field truth for the real photos and scans in ../shared/realdata (read off the images, their QR codes
and SOURCES.md; None = not legible or not known, so not scored)."""

from __future__ import annotations

_ZZSFP = {
    "invoice_type": "vat_special", "invoice_code": "4400154130", "check_code": "",
    "buyer_name": "深圳市购机汇网络有限公司", "buyer_tax_id": "440300083885931",
    "seller_name": "广州晶东贸易有限公司", "seller_tax_id": "91440101664041243T",
}

IMAGES: dict[str, dict[str, str | None]] = {
    "zsc140217-trip-mgmt/zzsfp_paddleocr_vat_kie/b33.jpg": {
        **_ZZSFP, "invoice_number": "12269563", "issue_date": "2016-06-12",
        "total_amount": "2987.18", "total_tax": "507.82", "amount_with_tax": "3495.00",
    },
    "zsc140217-trip-mgmt/zzsfp_paddleocr_vat_kie/b2.jpg": {
        **_ZZSFP, "invoice_number": "12269558", "issue_date": "2016-06-12",
        "total_amount": "2987.18", "total_tax": "507.82", "amount_with_tax": "3495.00",
    },
    "zsc140217-trip-mgmt/zzsfp_paddleocr_vat_kie/b139.jpg": {
        **_ZZSFP, "invoice_number": "12186138", "issue_date": "2016-06-08",
        "total_amount": "597.44", "total_tax": "101.56", "amount_with_tax": "699.00",
    },
    "zsc140217-trip-mgmt/zzsfp_paddleocr_vat_kie/b201.jpg": {
        **_ZZSFP, "invoice_number": "12270808", "issue_date": "2016-06-12",
        "total_amount": "6397.43", "total_tax": "1087.57", "amount_with_tax": "7485.00",
    },
    "guanshuicheng-invoice/vat_special_specimen_2010.jpg": {
        "invoice_type": "vat_special", "invoice_code": "1100094140", "invoice_number": "87654321",
        "issue_date": "2010-11-18", "check_code": "", "buyer_name": "测试购方企业", "buyer_tax_id": "410305123456789",
        "seller_name": "测试销方企业", "seller_tax_id": "410305012345678",
        "total_amount": "5999.00", "total_tax": "1019.83", "amount_with_tax": "7018.83",
    },
    "guanshuicheng-invoice/vat_e_normal_tianjin_2019.png": {
        "invoice_type": "vat_electronic_normal", "invoice_code": "012001800311", "invoice_number": "33207675",
        "issue_date": "2019-05-08", "check_code": "76939056883466677916", "buyer_name": None, "buyer_tax_id": None,
        "seller_name": "天津瑞佳讯贸易有限公司", "seller_tax_id": "91120222079642398Y",
        "total_amount": "46.62", "total_tax": "6.08", "amount_with_tax": "52.70",
    },
    "guanshuicheng-invoice/vat_normal_jiangsu_2012_in_postman_screenshot.jpg": {
        "invoice_type": "vat_normal", "invoice_code": "4100084140", "invoice_number": "02995607",
        "issue_date": "2012-10-15", "check_code": "55313319851841257210", "buyer_name": None, "buyer_tax_id": None,
        "seller_name": None, "seller_tax_id": None,
        "total_amount": "2432.91", "total_tax": "177.09", "amount_with_tax": "2610.00",
    },
    "deepseek-ocr-rs/sichuan_e_normal_2019_dangdang_printed_scan.png": {
        "invoice_type": "vat_electronic_normal", "invoice_code": "051001800211", "invoice_number": "65281307",
        "issue_date": "2019-02-23", "check_code": "02259002865525349387", "buyer_name": "西华大学",
        "buyer_tax_id": None, "seller_name": None, "seller_tax_id": None,
        "total_amount": "79.80", "total_tax": None, "amount_with_tax": None,
    },
    "zsc140217-trip-mgmt/shudian_special_2024_rebar_2lines_128656.32.rendered.jpg": {
        "invoice_type": "digital_special", "invoice_code": "", "invoice_number": "24512000000202537619",
        "issue_date": "2024-09-25", "check_code": "", "buyer_name": None, "buyer_tax_id": None,
        "seller_name": None, "seller_tax_id": None,
        "total_amount": "113855.15", "total_tax": "14801.17", "amount_with_tax": "128656.32",
    },
}

# Not VAT invoices: the pipeline must not accept anything on them as an invoice.
NON_INVOICES = (
    "deepseek-ocr-rs/chengdu_taxi_receipt_photo_zhihu.png",
    "donut-cord/cord_test_receipt_00004.png",
)
