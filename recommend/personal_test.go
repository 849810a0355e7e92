package recommend

import (
	"reflect"
	"testing"
)

func TestPersonal(t *testing.T) {
	t.Parallel()
	list := func(p int64, items ...Item) AlsoBought { return AlsoBought{ProductID: p, Items: items} }
	it := func(p int64, score float64, support int64) Item {
		return Item{ProductID: p, Score: score, Support: support}
	}
	tests := []struct {
		name    string
		lists   []AlsoBought
		weights map[int64]float64
		exclude map[int64]bool
		n       int
		want    []Item
	}{
		{
			name: "no lists gives an empty list",
			n:    5,
			want: []Item{},
		},
		{
			name:  "n of zero gives an empty list",
			lists: []AlsoBought{list(1, it(2, 1, 3))},
			want:  []Item{},
		},
		{
			name:  "scores add across lists, missing weight counts 1, support is the max",
			lists: []AlsoBought{list(1, it(3, 0.5, 4), it(4, 0.9, 2)), list(2, it(3, 0.5, 7))},
			n:     5,
			want:  []Item{it(3, 1.0, 7), it(4, 0.9, 2)},
		},
		{
			name:    "weights scale a list",
			lists:   []AlsoBought{list(1, it(3, 0.5, 1)), list(2, it(4, 0.4, 1))},
			weights: map[int64]float64{2: 2},
			n:       5,
			want:    []Item{it(4, 0.8, 1), it(3, 0.5, 1)},
		},
		{
			name:    "a weight of zero or less switches a list off",
			lists:   []AlsoBought{list(1, it(3, 0.5, 1)), list(2, it(4, 0.4, 1))},
			weights: map[int64]float64{1: 0, 2: -1},
			n:       5,
			want:    []Item{},
		},
		{
			name:    "excluded products are left out",
			lists:   []AlsoBought{list(1, it(3, 0.5, 1), it(4, 0.4, 1))},
			exclude: map[int64]bool{3: true},
			n:       5,
			want:    []Item{it(4, 0.4, 1)},
		},
		{
			name:  "ties are broken by product id",
			lists: []AlsoBought{list(1, it(9, 0.5, 1), it(5, 0.5, 1), it(7, 0.5, 1))},
			n:     5,
			want:  []Item{it(5, 0.5, 1), it(7, 0.5, 1), it(9, 0.5, 1)},
		},
		{
			name:  "at most n items",
			lists: []AlsoBought{list(1, it(2, 0.9, 1), it(3, 0.8, 1), it(4, 0.7, 1))},
			n:     2,
			want:  []Item{it(2, 0.9, 1), it(3, 0.8, 1)},
		},
		{
			name:  "a product's list counts once when passed twice",
			lists: []AlsoBought{list(1, it(2, 0.5, 1)), list(1, it(2, 0.5, 1))},
			n:     5,
			want:  []Item{it(2, 0.5, 1)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Personal(tt.lists, tt.weights, tt.exclude, tt.n)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Personal() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestPersonalOrderIndependent proves the result does not depend on the order of the lists.
func TestPersonalOrderIndependent(t *testing.T) {
	t.Parallel()
	a := AlsoBought{ProductID: 1, Items: []Item{{ProductID: 3, Score: 0.1, Support: 1}, {ProductID: 4, Score: 0.2, Support: 1}}}
	b := AlsoBought{ProductID: 2, Items: []Item{{ProductID: 3, Score: 0.2, Support: 2}, {ProductID: 5, Score: 0.3, Support: 1}}}
	c := AlsoBought{ProductID: 6, Items: []Item{{ProductID: 4, Score: 0.7, Support: 1}}}
	w := map[int64]float64{1: 0.3, 2: 1.7, 6: 0.1}
	want := Personal([]AlsoBought{a, b, c}, w, nil, 10)
	got := Personal([]AlsoBought{c, b, a}, w, nil, 10)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("order changed the result: %+v vs %+v", got, want)
	}
	if len(want) != 3 {
		t.Fatalf("want 3 items, got %+v", want)
	}
}
