package httpapi

import (
	"context"
	"net/http"
	"time"
)

func (s *Server) routes() {
	s.membershipRoutes()
	s.catalogRoutes()
	s.accountRoutes()
	s.webhookRoutes()
	if s.testHelpers {
		s.testHelperRoutes()
	}
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	s.mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.svc.Store().Ping(ctx); err != nil {
			s.log.WarnContext(r.Context(), "readiness check failed", "err", err)
			WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unreachable"})
			return
		}
		WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}
