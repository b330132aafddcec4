plugin:
