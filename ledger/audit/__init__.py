"""The full audit (kiểm tra toàn bộ): every event re-verified in log order, the log's completeness,
in parallel workers.
"""
