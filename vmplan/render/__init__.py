"""Renderers: problems and plans as text for people, json/yaml for tools, github annotations."""
