"""Gradio chat UI, handed an Assistant to show."""
