import os

from django.core.wsgi import get_wsgi_application

from guards.charset_gate import refuse_unsupported_charsets

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = refuse_unsupported_charsets(get_wsgi_application())
