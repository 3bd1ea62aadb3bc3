"""Render a Django template to an A4 PDF with WeasyPrint, with the council's header and page
numbers (see templates/documents/base.html). Statements, letters and notices use this."""

from django.conf import settings
from django.template.loader import render_to_string


def render_pdf(template_name: str, context: dict, *, title: str) -> bytes:
    from weasyprint import HTML

    html = render_to_string(template_name, {
        **context,
        "document_title": title,
        "council_name": settings.COUNCIL_NAME,
        "service_name": settings.SERVICE_NAME,
    })
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
