"""Gradio chat UI, handed an Assistant to show.

Gradio reads ``GRADIO_ANALYTICS_ENABLED`` whenever it would report usage, so it is
switched off here, before any ``ui`` module imports gradio.
"""

import os

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
