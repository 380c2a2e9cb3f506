"""Time Bank: software for a city's elderly-care time bank (养老服务时间银行)."""

__version__ = "0.1.0"
