"""The web page: a small page server (``serve.py``) and a socket.io channel (``channel.py``)."""
