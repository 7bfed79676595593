from rest_framework.pagination import PageNumberPagination

__all__ = ["StationPagination"]


class StationPagination(PageNumberPagination):
    """`?page=2&page_size=200`: 50 per page unless asked, at most 500."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
