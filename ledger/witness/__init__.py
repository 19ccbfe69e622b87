"""A witness (bên chứng kiến) per C2SP tlog-witness: another party's state and cosigning, apart
from the log's own code.
"""
