"""The loopback HTTPS server, route table and TLS material every cloud's doubles share
(Azure's and Google Cloud's): one server hosts several ``Service`` objects."""

from .certs import ca_pem_path, server_context
from .server import HttpsServer
from .service import Call, Reply, Request, Service, ServiceError

__all__ = ["Call", "HttpsServer", "Reply", "Request", "Service", "ServiceError", "ca_pem_path", "server_context"]
