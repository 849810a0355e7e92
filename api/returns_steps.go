package api

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"shopflow/store"
	"shopflow/workflows"
)

// returnDecisionRequest is the optional body of approve and reject: a note for the customer.
type returnDecisionRequest struct {
	Note string `json:"note" binding:"max=2000"`
}

// shipRequest is the body of ship: the carrier's tracking number.
type shipRequest struct {
	Tracking string `json:"tracking" binding:"required,max=200"`
}

// receiveRequest is the body of receive: per line, units received and how many go to stock.
type receiveRequest struct {
	Lines []receivedLineRequest `json:"lines" binding:"required,min=1,max=100,dive"`
}

type receivedLineRequest struct {
	LineNo   int  `json:"line_no" binding:"required,min=1"`
	Received *int `json:"received" binding:"required,min=0,max=10000"`
	Restock  int  `json:"restock" binding:"min=0,max=10000"`
}

// approveReturn approves a requested return, as its seller or an admin; the ship window starts.
func (s *Server) approveReturn(c *gin.Context) { s.decideReturn(c, true) }

// rejectReturn rejects a requested return, as its seller or an admin; its units are released.
func (s *Server) rejectReturn(c *gin.Context) { s.decideReturn(c, false) }

func (s *Server) decideReturn(c *gin.Context, approve bool) {
	var req returnDecisionRequest
	if c.Request.ContentLength != 0 { // the note is optional, and so is the body
		if err := bindJSON(c, &req); err != nil {
			s.fail(c, err)
			return
		}
	}
	note := strings.TrimSpace(req.Note)
	s.returnStep(c, note, func(id string, party store.ReturnParty) (store.Return, error) {
		return s.Store.DecideReturn(c, id, party, approve, note, s.Config.ReturnShipWindow)
	})
}

// shipReturn records that the customer shipped the goods back.
func (s *Server) shipReturn(c *gin.Context) {
	var req shipRequest
	if err := bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	tracking := strings.TrimSpace(req.Tracking)
	if tracking == "" {
		s.fail(c, fieldInvalid("tracking", "is required"))
		return
	}
	s.returnStep(c, "Tracking: "+tracking, func(id string, party store.ReturnParty) (store.Return, error) {
		return s.Store.ShipReturn(c, id, party.CustomerID, tracking)
	})
}

// receiveReturn records what came back, as the seller or an admin; the workflow then refunds it.
func (s *Server) receiveReturn(c *gin.Context) {
	var req receiveRequest
	if err := bindJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	lines := make([]store.ReceivedLine, len(req.Lines))
	for i, l := range req.Lines {
		lines[i] = store.ReceivedLine{LineNo: l.LineNo, Received: *l.Received, Restock: l.Restock}
	}
	s.returnStep(c, "", func(id string, party store.ReturnParty) (store.Return, error) {
		return s.Store.ReceiveReturn(c, id, party, lines)
	})
}

// cancelReturn withdraws the customer's return before it ships.
func (s *Server) cancelReturn(c *gin.Context) {
	s.returnStep(c, "", func(id string, party store.ReturnParty) (store.Return, error) {
		return s.Store.CancelReturn(c, id, party.CustomerID)
	})
}

// returnStep runs one step of the return the path names for the caller, then tells the
// return's workflow. The store's answer is the truth: a workflow that cannot be told now is
// logged, and catches up with the return's next step (Step starts it with that step).
func (s *Server) returnStep(c *gin.Context, detail string, step func(id string, party store.ReturnParty) (store.Return, error)) {
	id, err := pathUUID(c, "id", "a return")
	if err != nil {
		s.fail(c, err)
		return
	}
	party, err := returnParty(mustClaims(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	r, err := step(id, party)
	if err != nil {
		s.fail(c, err)
		return
	}
	ev := workflows.ReturnEvent{Status: r.Status, Actor: actorOf(c), Detail: detail}
	if r.ShipBy != nil {
		ev.ShipBy = *r.ShipBy
	}
	if err := s.Returns.Step(c.Request.Context(), r.ID, ev); err != nil {
		s.log(c).ErrorContext(c.Request.Context(), "return workflow was not told of a step", "return_id", r.ID,
			"status", r.Status, "err", err)
	}
	c.JSON(http.StatusOK, r)
}
