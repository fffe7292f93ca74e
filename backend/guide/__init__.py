"""The public guide: when to call 112, what to say, SMS, categories, what happens after.

Built-in content (content.py) is version 0; each admin edit is a new, immutable version
(models.py) and the newest is what the public page (/panduan) and the app
(GET /v1/public/guide) show. service.py renders, caches per version and publishes.
"""
